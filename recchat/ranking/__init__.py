"""The one ranking: candidates from every signal, features that mean the same in every domain, and
a learned scorer (LightGBM lambdarank trained on the training domains only). The app, `recchat ask`
and `recchat eval` all rank through here."""
