require ["extracttext", "foreverypart", "mime", "variables", "fileinto"];
foreverypart { extracttext :first 5 "start"; if string :is "${start}" "Hi Al" { fileinto "Greeting"; } }
