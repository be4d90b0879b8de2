DROP TABLE bin_requests;
DROP TABLE bins;
