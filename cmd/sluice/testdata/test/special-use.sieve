require ["special-use", "fileinto"];
fileinto :specialuse "\\Junk" "Spam";
