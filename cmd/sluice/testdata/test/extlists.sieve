require ["extlists", "fileinto"];
if header :list "from" "tag:addrbook:default" { fileinto "Known"; }
