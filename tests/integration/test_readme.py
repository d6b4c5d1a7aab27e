"""The README and docs/ must tell the truth: the notes.ini key table (docs/notes-ini.md) is
the one the server prints, docs/console.md lists every console command of the grammar, and
every link in README.md and docs/*.md stays inside the repository and resolves."""
import glob
import os
import re
import subprocess
import unittest

from notesd_harness import SOURCE_DIR, binary

DOCS = [os.path.join(SOURCE_DIR, "README.md")] + sorted(glob.glob(os.path.join(SOURCE_DIR, "docs", "*.md")))
LINK = re.compile(r"\[[^\]]*\]\(([^)\s]+)\)")


def read(*parts):
    with open(os.path.join(SOURCE_DIR, *parts)) as f:
        return f.read()


def anchors(markdown):
    """GitHub's heading anchors: lower case, punctuation dropped, spaces as hyphens."""
    found = set()
    for heading in re.findall(r"^#+ (.*)$", markdown, re.M):
        found.add(re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-"))
    return found


class ReadmeTest(unittest.TestCase):
    def test_config_key_table_matches_the_server(self):
        printed = subprocess.run([binary("nserver"), "--config-keys"], capture_output=True, text=True, check=True).stdout
        doc = read("docs", "notes-ini.md")
        begin = doc.index("<!-- config-keys:begin -->\n") + len("<!-- config-keys:begin -->\n")
        end = doc.index("<!-- config-keys:end -->")
        self.assertEqual(doc[begin:end], printed,
                         "docs/notes-ini.md's notes.ini table is stale: paste `nserver --config-keys` into it")

    def test_sample_ini_mentions_every_key(self):
        printed = subprocess.run([binary("nserver"), "--config-keys"], capture_output=True, text=True, check=True).stdout
        keys = [line.split("`")[1] for line in printed.splitlines()[2:]]
        sample = read("notes.ini.sample").lower()
        for key in keys:
            self.assertIn(key.lower(), sample, f"notes.ini.sample does not document {key}")

    def test_console_doc_lists_every_command(self):
        # The grammar table of server/console_command.cc: form({"SHOW", "TASKS"}, ConsoleVerb::...
        grammar = re.findall(r'form\(\{((?:"[A-Z]+"(?:, )?)+)\}, ConsoleVerb::', read("server", "console_command.cc"))
        self.assertGreater(len(grammar), 10, "the console grammar table was not found")
        documented = [command.upper().split() for row in read("docs", "console.md").splitlines()
                      if row.startswith("| `") for command in re.findall(r"`([^`]+)`", row.split(" | ")[0])]
        for entry in grammar:
            words = re.findall(r'"([A-Z]+)"', entry)
            # docs/console.md may abbreviate a word as the console does (SHOW CONFIG).
            self.assertTrue(any(len(row) >= len(words) and all(w.startswith(d) for w, d in zip(words, row))
                                for row in documented),
                            f"docs/console.md has no row for the console command {' '.join(words)}")

    def test_readme_points_to_every_doc(self):
        readme = read("README.md")
        for path in DOCS[1:]:
            name = "docs/" + os.path.basename(path)
            self.assertIn(f"]({name})", readme, f"README.md's 'Where to go next' does not link {name}")

    def test_every_link_stays_in_the_repository_and_resolves(self):
        for path in DOCS:
            text = read(path)
            where = os.path.relpath(path, SOURCE_DIR)
            for target in LINK.findall(text):
                self.assertNotRegex(target, r"^[a-z]+:", f"{where}: link {target} points outside the repository")
                file, _, anchor = target.partition("#")
                resolved = os.path.normpath(os.path.join(os.path.dirname(path), file)) if file else path
                self.assertTrue(resolved.startswith(SOURCE_DIR + os.sep) or resolved == SOURCE_DIR,
                                f"{where}: link {target} leaves the repository")
                self.assertTrue(os.path.exists(resolved), f"{where}: link {target} does not resolve")
                if anchor and resolved.endswith(".md"):
                    with open(resolved) as f:
                        self.assertIn(anchor, anchors(f.read()), f"{where}: link {target}: no such heading")


if __name__ == "__main__":
    unittest.main()
