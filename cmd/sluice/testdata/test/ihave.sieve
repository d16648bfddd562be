require ["ihave", "fileinto"];
if ihave "nosuchextension" { nosuchcommand; } else { fileinto "NoIhave"; }
