// Runs in the browser on /api/v1/docs, after swagger-ui-init.js has built `window.ui`.
// The page starts from the open part of the API (a page load carries no credentials, and
// /openapi.json needs them); once the reader authorizes with an API key or a bearer token, the
// whole document is fetched with that credential and shown instead. Served as a file, not built,
// because CSP lets the page run scripts from this origin only.
'use strict';

window.addEventListener('load', function () {
  var ui = window.ui;
  var documentUrl = new URL('../openapi.json', window.location.href).href;
  var loadedWith = null;

  function credentialHeaders() {
    var authorized = ui.authSelectors.authorized().toJS();
    if (authorized.apiKey) return { 'X-API-Key': authorized.apiKey.value };
    if (authorized.bearer) return { Authorization: 'Bearer ' + authorized.bearer.value };
    return null;
  }

  function showError(message) {
    ui.errActions.newThrownErr(Object.assign(new Error(message), { source: 'fetch' }));
  }

  ui.getStore().subscribe(function () {
    var headers = credentialHeaders();
    var fingerprint = headers && JSON.stringify(headers);
    if (fingerprint === loadedWith) return;
    loadedWith = fingerprint;
    if (!headers) return;
    fetch(documentUrl, { headers: headers })
      .then(function (response) {
        if (!response.ok) throw new Error('the API answered ' + response.status + ' for ' + documentUrl + ' with this credential');
        return response.text();
      })
      .then(function (text) {
        ui.errActions.clear({ type: 'thrown' });
        ui.specActions.updateSpec(text);
      })
      .catch(function (err) {
        showError(err.message);
      });
  });
});
