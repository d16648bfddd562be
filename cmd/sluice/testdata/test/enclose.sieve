require ["enclose"];
enclose :subject "Warning: suspicious" "This message was wrapped.";
