require "fileinto";
fileinto "FromInclude";
