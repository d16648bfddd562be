# Files messages marked as spam by the MTA's filter into "Junk", before the
# user's own script runs. The user's script does not run for them.
require ["fileinto", "mailbox"];
if header :contains "X-Spam-Flag" "YES" {
  fileinto :create "Junk";
}
