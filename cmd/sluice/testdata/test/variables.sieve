require ["variables", "fileinto"];
if header :matches "subject" "* *" { set :lower "word" "${1}"; fileinto "Word-${word}"; }
