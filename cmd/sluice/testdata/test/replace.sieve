require ["replace", "mime"];
replace :subject "Removed" "The original message was removed.";
