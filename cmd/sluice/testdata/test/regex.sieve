require ["regex", "variables", "fileinto"];
if header :regex "subject" "^Hello (.*)$" { fileinto "Regex-${1}"; }
