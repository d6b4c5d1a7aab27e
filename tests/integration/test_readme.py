"""The README must tell the truth: its notes.ini key table is the one the server prints."""
import os
import subprocess
import unittest

from notesd_harness import SOURCE_DIR, binary


class ReadmeTest(unittest.TestCase):
    def test_config_key_table_matches_the_server(self):
        printed = subprocess.run([binary("nserver"), "--config-keys"], capture_output=True, text=True, check=True).stdout
        with open(os.path.join(SOURCE_DIR, "README.md")) as f:
            readme = f.read()
        begin = readme.index("<!-- config-keys:begin -->\n") + len("<!-- config-keys:begin -->\n")
        end = readme.index("<!-- config-keys:end -->")
        self.assertEqual(readme[begin:end], printed,
                         "README's notes.ini table is stale: paste `nserver --config-keys` into it")

    def test_sample_ini_mentions_every_key(self):
        printed = subprocess.run([binary("nserver"), "--config-keys"], capture_output=True, text=True, check=True).stdout
        keys = [line.split("`")[1] for line in printed.splitlines()[2:]]
        with open(os.path.join(SOURCE_DIR, "notes.ini.sample")) as f:
            sample = f.read().lower()
        for key in keys:
            self.assertIn(key.lower(), sample, f"notes.ini.sample does not document {key}")


if __name__ == "__main__":
    unittest.main()
