require ["environment", "fileinto"];
if environment :is "location" "MDA" { fileinto "AtMDA"; }
