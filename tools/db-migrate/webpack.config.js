const { NxAppWebpackPlugin } = require('@nx/webpack/app-plugin');
const { join } = require('node:path');

// Bundles the app and the workspace libraries; packages from node_modules stay external.
module.exports = {
  output: { path: join(__dirname, '../../dist/tools/db-migrate'), clean: true },
  devtool: 'source-map',
  plugins: [
    new NxAppWebpackPlugin({
      target: 'node',
      compiler: 'tsc',
      main: './src/main.ts',
      tsConfig: './tsconfig.json',
      outputHashing: 'none',
      optimization: false,
      sourceMap: true,
      skipTypeChecking: true,
      generatePackageJson: true,
    }),
  ],
};
