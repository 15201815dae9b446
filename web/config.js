// Where the page finds the prediction API. Locally the API shares the page's origin,
// so the base URL is empty. A cloud deployment overwrites this file with, e.g.:
//   window.APP_CONFIG = { apiBaseUrl: "https://abc123.execute-api.eu-west-1.amazonaws.com/prod", apiKeyRequired: true };
// Never put an API key here: users type their own.
window.APP_CONFIG = { apiBaseUrl: "", apiKeyRequired: false };
