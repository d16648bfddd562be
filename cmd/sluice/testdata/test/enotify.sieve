require "enotify";
notify :importance "1" :message "New mail from ${from}" "mailto:alice@example.org";
