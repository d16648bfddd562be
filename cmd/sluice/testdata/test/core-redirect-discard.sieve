if header :contains "from" "spammer" { discard; } elsif exists "x-forward" { redirect "bob@example.org"; }
redirect "carol@example.org";
