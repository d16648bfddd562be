require ["mime", "fileinto"];
if header :mime :type "Content-Type" "text" { fileinto "Text"; }
