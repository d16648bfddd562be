require ["servermetadata", "fileinto"];
if servermetadataexists "/shared/admin" { fileinto "Admin"; }
