require "ereject";
if size :over 1 { ereject "too big for me"; }
