"""Virtual cohorts: populations of virtual patients, the Dask trial runner and schedule search."""
