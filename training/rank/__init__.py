"""The learned ranker: training cases from the training domains, features through recchat.ranking, LightGBM lambdarank."""
