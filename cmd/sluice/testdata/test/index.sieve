require ["index", "date", "fileinto"];
if header :index 1 :contains "received" "mx.example.com" { fileinto "ViaMX"; }
