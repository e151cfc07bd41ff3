module.exports = require('../../tools/build/webpack-node-app.js')(__dirname);
