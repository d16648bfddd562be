require "fileinto";
if header :is :comparator "i;octet" "subject" "Hello gophers" { fileinto "Exact"; }
