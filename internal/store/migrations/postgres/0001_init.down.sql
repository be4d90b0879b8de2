DROP TABLE attempts;
DROP TABLE deliveries;
DROP TABLE events;
DROP TABLE hook_patterns;
DROP TABLE hooks;
