require ["imap4flags", "fileinto"];
setflag "\\Seen";
addflag "golang";
fileinto :flags ["\\Flagged"] "Flagged";
