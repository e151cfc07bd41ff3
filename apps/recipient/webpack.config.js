// The service's OpenSSL settings go beside its bundle (libs/platform/src/lib/node-options.ts).
module.exports = require('../../tools/build/webpack-node-app.js')(__dirname, { assets: ['libs/platform/src/openssl.cnf'] });
