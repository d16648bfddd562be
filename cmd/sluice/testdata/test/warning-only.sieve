require "fileinto";
if header :is "bad header:" "x" { fileinto "Never"; }
