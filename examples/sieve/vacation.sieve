# Answers once a week per sender while away; keeps every message.
require ["vacation"];
vacation :days 7 :subject "Out of office"
  :addresses ["alice@example.org"]
  "I am away until Monday and will answer then.";
