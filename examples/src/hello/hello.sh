#!/bin/sh
echo "Hello from the purist store"
