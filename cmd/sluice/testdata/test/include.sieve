require "include";
include :personal "included";
