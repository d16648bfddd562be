require "fileinto";
fileinto 1;
frobnicate;
