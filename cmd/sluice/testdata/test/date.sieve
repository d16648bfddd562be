require ["date", "relational", "fileinto"];
if date :value "ge" "date" "year" "2000" { fileinto "Recent"; }
