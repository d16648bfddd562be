require ["foreverypart", "mime", "fileinto"];
foreverypart { if header :mime :subtype "Content-Type" "plain" { fileinto "Plain"; break; } }
