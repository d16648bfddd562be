if header :is :comparator "i;ascii-casemap" "subject" "HELLO GOPHERS" { discard; }
