require "editheader";
addheader "X-Filtered" "yes";
deleteheader "X-Spam-Score";
