require "vacation";
vacation :days 3 :subject "Out of office" :from "alice@example.org" :handle "ooo" "I am away until Monday.";
