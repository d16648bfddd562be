require ["vacation", "fcc"];
vacation :fcc "Sent" :subject "Away" "I am away until Monday.";
