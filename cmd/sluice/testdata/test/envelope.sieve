require ["envelope", "fileinto"];
if envelope :domain :is "from" "example.com" { fileinto "FromExampleCom"; }
