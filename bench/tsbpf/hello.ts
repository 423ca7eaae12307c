// Launch baseline: the runtime alone, printing an "event" at once. What any script pays.
console.log("E 0");
