"""Customer journeys: trigger → conditions → steps → exits, run by the worker from the customer's timeline."""
