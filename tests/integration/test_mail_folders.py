"""Issue 16 part 2: folders, read marks and deletions live in the mail file. Mail comes
in over SMTP; Jane works with it through `notes mail folders|list|read|move|delete`:
read marks show as unread markers (`*`) and `unread` in JSON, a message moved to a folder
gets a new UID there and leaves INBOX, a deleted message is gone. A server restart keeps
every UID and UIDVALIDITY (seen through `notes mail list --json`, which shows uid and
uid_validity, and `notes mail folders --json`), and new mail continues the UIDs.

Hermetic: 127.0.0.1 only, ports chosen at run time."""
import json
import smtplib
import unittest

from mail_harness import start_mail_server, start_smtp_server, wait_until


def outside_message(subject):
    return (b"From: Outside Person <outside@example.org>\r\nTo: Jane Admin <jane@acme.example>\r\n"
            b"Subject: " + subject.encode() + b"\r\nMessage-ID: <" + subject.encode() +
            b"@example.org>\r\n\r\nhello " + subject.encode() + b"\r\n")


class MailFoldersTest(unittest.TestCase):

    @classmethod
    def setUpClass(cls):
        start_mail_server(cls)

    @classmethod
    def tearDownClass(cls):
        cls.server.stop()
        cls.tmp.cleanup()

    def notes(self, *args):
        rc, out, err = self.admin.run(*args)
        self.assertEqual(rc, 0, f"notes {' '.join(args)} failed ({rc}): {out}{err}")
        return out

    def notes_json(self, *args):
        return json.loads(self.notes(*args, "--json"))

    def listing(self, folder="INBOX"):
        return self.notes_json("mail", "list", "--folder", folder)

    def send(self, *subjects):
        with smtplib.SMTP("127.0.0.1", self.smtp_port, local_hostname="client.example.org", timeout=20) as s:
            for subject in subjects:
                s.sendmail("outside@example.org", ["jane@acme.example"], outside_message(subject))

    def test_folders_read_marks_moves_and_deletions_survive_a_restart(self):
        self.send("first", "second", "third")
        self.assertTrue(wait_until(lambda: len(self.listing()) >= 3, timeout=30), self.server.output())
        inbox = self.listing()
        self.assertEqual([m["subject"] for m in inbox], ["first", "second", "third"])
        self.assertEqual([m["uid"] for m in inbox], [1, 2, 3])
        self.assertTrue(all(m["unread"] for m in inbox))
        validity = inbox[0]["uid_validity"]
        self.assertGreater(validity, 0)
        # The table marks unread messages.
        table = self.notes("mail", "list")
        self.assertIn("* = unread", table)
        self.assertEqual(sum(1 for line in table.splitlines() if line[5:6] == "*"), 3, table)

        # Folders: INBOX always exists; create one; bad requests are refused clearly.
        self.notes("mail", "folders", "create", "Projects")
        folders = {f["name"]: f for f in self.notes_json("mail", "folders")}
        self.assertEqual(sorted(folders), ["INBOX", "Projects"])
        self.assertEqual(folders["INBOX"]["messages"], 3)
        self.assertEqual(folders["INBOX"]["unseen"], 3)
        self.assertEqual(folders["INBOX"]["uid_validity"], validity)
        self.assertEqual(folders["INBOX"]["uid_next"], 4)
        rc, out, err = self.admin.run("mail", "folders", "delete", "INBOX")
        self.assertNotEqual(rc, 0)
        self.assertIn("INBOX cannot be deleted", out + err)
        rc, out, err = self.admin.run("mail", "folders", "create", "Projects")
        self.assertNotEqual(rc, 0)
        self.assertIn("already exists", out + err)

        # Reading marks a message read (unless --no-mark).
        self.notes("mail", "read", "2", "--no-mark")
        self.assertTrue(self.listing()[1]["unread"])
        read = self.notes("mail", "read", "2")
        self.assertIn("hello second", read)
        inbox = self.listing()
        self.assertEqual([m["unread"] for m in inbox], [True, False, True])
        self.assertEqual(inbox[1]["flags"], ["\\Seen"])
        table = self.notes("mail", "list")
        self.assertEqual(sum(1 for line in table.splitlines() if line[5:6] == "*"), 2, table)

        # Move the first message: it leaves INBOX and gets UID 1 in Projects, same UNID.
        first_unid = inbox[0]["unid"]
        moved = self.notes_json("mail", "move", "1", "Projects")
        self.assertEqual(moved["uid"], 1)
        projects = self.listing("Projects")
        self.assertEqual([(m["unid"], m["uid"], m["subject"]) for m in projects], [(first_unid, 1, "first")])
        self.assertEqual([m["subject"] for m in self.listing()], ["second", "third"])
        rc, out, err = self.admin.run("mail", "move", "1", "Nowhere")
        self.assertNotEqual(rc, 0)
        self.assertIn("no folder 'Nowhere'", out + err)

        # Delete the third message (by UNID).
        third_unid = self.listing()[1]["unid"]
        self.notes("mail", "delete", third_unid)
        self.assertEqual([m["subject"] for m in self.listing()], ["second"])
        rc, out, err = self.admin.run("mail", "delete", third_unid)
        self.assertNotEqual(rc, 0)
        self.assertIn("no message", out + err)

        before = {"INBOX": self.listing(), "Projects": self.listing("Projects")}
        folders_before = {f["name"]: f for f in self.notes_json("mail", "folders")}

        # Restart: UIDs, UIDVALIDITY, flags and folders are as they were.
        self.server.stop()
        type(self).server = start_smtp_server(self.data)
        self.assertTrue(wait_until(lambda: self.admin.run("mail", "folders")[0] == 0, timeout=30))
        after = {"INBOX": self.listing(), "Projects": self.listing("Projects")}
        for folder in before:
            self.assertEqual([(m["unid"], m["uid"], m["uid_validity"], m["flags"]) for m in after[folder]],
                             [(m["unid"], m["uid"], m["uid_validity"], m["flags"]) for m in before[folder]])
        self.assertEqual({f["name"]: f for f in self.notes_json("mail", "folders")}, folders_before)

        # New mail continues INBOX's UIDs (3 was deleted, never given again).
        self.send("fourth")
        self.assertTrue(wait_until(lambda: len(self.listing()) >= 2, timeout=30), self.server.output())
        inbox = self.listing()
        self.assertEqual([(m["subject"], m["uid"]) for m in inbox], [("second", 2), ("fourth", 4)])
        self.assertEqual(inbox[1]["uid_validity"], validity)

        # Rename and delete folders.
        self.notes("mail", "folders", "rename", "Projects", "Archive")
        self.assertEqual([m["uid"] for m in self.listing("Archive")], [1])
        self.notes("mail", "folders", "delete", "Archive")
        self.assertEqual(sorted(f["name"] for f in self.notes_json("mail", "folders")), ["INBOX"])


if __name__ == "__main__":
    unittest.main()
