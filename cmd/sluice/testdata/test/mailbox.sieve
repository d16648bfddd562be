require ["mailbox", "fileinto"];
if mailboxexists "Lists" { fileinto :create "Lists/Go"; } else { fileinto :create "Other"; }
