# A realistic personal script used by the sluice benchmark. Every rule is
# evaluated by the corpus in corpus.go, and every message class ends in a
# known folder with known flags; keep the two in step.
require ["fileinto", "envelope", "imap4flags", "variables"];

# 1. Oversized mail is set aside (no benchmark message is this big).
if size :over 200M {
    fileinto "Large";
    stop;
}

# 2. Spam marked by the upstream filter: seen, into Junk.
if anyof (header :is "X-Spam-Flag" "YES",
          header :contains "Subject" "[SPAM]") {
    setflag "\\Seen";
    fileinto "Junk";
    stop;
}

# 3. Mailing lists: one folder per list under Lists, named from List-Id.
#    "/" is the hierarchy separator on both servers; on disk the folder
#    is the Maildir++ directory .Lists.<list>.
if header :matches "List-Id" "*<*.lists.example.org>" {
    set :lower "list" "${2}";
    fileinto "Lists/${list}";
    stop;
}

# 4. Invoices, recognised by the envelope sender's domain.
if envelope :domain :is "from" "billing.example.com" {
    addflag "\\Seen";
    fileinto "Receipts";
    stop;
}

# 5. Monitoring alerts: flagged and seen, into Alerts.
if allof (address :domain :is "from" "ops.example.org",
          header :matches "Subject" "[alert] *") {
    set "sev" "${1}";
    addflag ["\\Flagged", "\\Seen"];
    fileinto "Alerts";
    stop;
}

# 6. Family, by the local part and domain of From.
if allof (address :localpart :is "from" "mom",
          address :domain :is "from" "family.example.net") {
    fileinto "Family";
    stop;
}

# 7. Secret project mail copied to its folder, addressed in To or Cc.
if header :contains ["To", "Cc"] "secret-project@" {
    fileinto "Projects";
    stop;
}

# 8. Mail from the boss stays in INBOX, flagged.
if address :is "from" "boss@example.org" {
    addflag "\\Flagged";
    keep;
    stop;
}

# 9. Newsletters nobody reads.
if exists "X-Newsletter-Never-Sent" {
    discard;
    stop;
}

# 10. Old out-of-office replies.
if header :contains "Subject" "Out of office since 1999" {
    fileinto "Trash";
    stop;
}

# 11. Anything else stays in INBOX, unflagged (implicit keep).
