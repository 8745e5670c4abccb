/** Node-only parts of @recur/keras: model files on disk. */
export {};
