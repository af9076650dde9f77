"""Analysis of simulations: validation against the literature, model checks, endpoints."""
