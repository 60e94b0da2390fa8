#!/usr/bin/env bash
# Builds every service image with one tag: ./build-images.sh 1.0.0 [registry-prefix]
set -euo pipefail
cd "$(dirname "$0")"
tag=${1:?usage: ./build-images.sh <tag> [registry-prefix, default kmrl]}
prefix=${2:-kmrl}
declare -A images=(
  [document-api]=Kmrl.DocumentApi
  [email-connector]=Kmrl.Connectors.Email
  [sharepoint-connector]=Kmrl.Connectors.SharePoint
  [maximo-connector]=Kmrl.Connectors.Maximo
  [whatsapp-connector]=Kmrl.Connectors.WhatsApp
  [local-folder-connector]=Kmrl.Connectors.LocalFolder
  [notifications]=Kmrl.Notifications
)
# An app with a Dockerfile of its own (document-api: the OCR and office tools) is built from it; every other app from
# the shared services/Dockerfile with its project as PROJECT. tests/Kmrl.Deployment.Tests (ImageRulesTests) checks
# that every app id has an entry here and an image in k8s/base/kustomization.yaml.
for app in "${!images[@]}"; do
  project=${images[$app]}
  if [ -f "services/$project/Dockerfile" ]; then
    docker build -f "services/$project/Dockerfile" -t "$prefix/$app:$tag" .
  else
    docker build -f services/Dockerfile --build-arg "PROJECT=$project" -t "$prefix/$app:$tag" .
  fi
done
echo "Built ${#images[@]} images tagged $tag. Set the same tag in k8s/base/kustomization.yaml (images:) or with"
echo "  (cd k8s/overlays/production && kustomize edit set image kmrl/document-api=$prefix/document-api:$tag ...)"
