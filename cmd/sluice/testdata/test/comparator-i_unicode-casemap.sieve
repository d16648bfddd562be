require ["comparator-i;unicode-casemap", "fileinto"];
if header :contains :comparator "i;unicode-casemap" "subject" "GOPHERS" { fileinto "Unicode"; }
