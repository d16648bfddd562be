# Keeps a copy and forwards everything to another address.
require ["copy"];
redirect :copy "alice@example.net";
