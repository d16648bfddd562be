# Files mailing list traffic into Lists/<list-id>, flags mail from the boss.
require ["fileinto", "mailbox", "imap4flags", "variables"];
if header :matches "List-Id" "*<*.*>*" {
  fileinto :create "Lists/${2}";
  stop;
}
if address :is "from" "boss@example.org" {
  addflag "\\Flagged";
}
