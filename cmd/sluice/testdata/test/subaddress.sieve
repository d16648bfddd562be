require ["subaddress", "envelope", "fileinto"];
if envelope :detail "to" "lists" { fileinto "Lists"; }
